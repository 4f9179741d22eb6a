"""Programs that run inside a job's `/opt/ml` the way SageMaker's built-in containers do."""
