//! The mark that says an output is forloeb's own. It lives apart from both its writers
//! ([`super::parquet`] puts it in the footer) and its reader ([`super::target`] looks for it
//! before replacing anything), so neither module has to import the other for it.

/// Value of the `generator` field of `manifest.json` and of the Parquet footer key `generator`
/// that marks an output as forloeb's.
pub const GENERATOR: &str = "forloeb";
/// Footer key and manifest field naming the program that wrote an output.
pub const GENERATOR_KEY: &str = "generator";
/// The version written into every output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
