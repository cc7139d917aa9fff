"""Checks over the whole site from outside, in one world built through the API: every API
operation fuzzed against its published schema, every route tried by every kind of caller, and
the phone pages in a real browser."""
