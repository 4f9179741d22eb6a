"""SageMaker hosting: models (and, with them, what serves them)."""
