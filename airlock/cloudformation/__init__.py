"""CloudFormation."""
