"""Production start: settings, deploy samples, two web nodes and two task consumers."""
