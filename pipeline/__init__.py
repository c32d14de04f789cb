"""ohmsk: regenerate DWP/DHSC research report 985 from respondent-level survey data."""
