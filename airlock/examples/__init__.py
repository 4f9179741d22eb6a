"""The article's multi-account story as reusable steps, for `airlock demo` and the tests."""
