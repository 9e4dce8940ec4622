//! Calibrated synthetic extracts (placeholder; being written).
