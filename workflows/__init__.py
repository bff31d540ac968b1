"""Deterministic workflow code: imports only temporalio, the standard library and domain."""
