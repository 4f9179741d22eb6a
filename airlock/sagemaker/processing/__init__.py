"""SageMaker processing jobs: the user's script in an image's stead, inputs and outputs in S3."""
