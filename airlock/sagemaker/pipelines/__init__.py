"""SageMaker Pipelines: definitions checked into a DAG of steps."""
