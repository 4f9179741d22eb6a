"""SageMaker training jobs: SageMaker's container contract, run as local processes."""
