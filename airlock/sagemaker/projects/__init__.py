"""SageMaker projects: Service Catalog launches made for the caller, and the portfolio switch."""
