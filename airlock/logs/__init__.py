"""CloudWatch Logs: log groups, streams and events, with filter patterns."""
