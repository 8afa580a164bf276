"""The execution side's REST API."""
