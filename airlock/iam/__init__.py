"""IAM: users, roles, policies and the evaluation engine that authorizes every call."""
