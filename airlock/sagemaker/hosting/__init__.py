"""SageMaker hosting: models (and, with them, what serves them).

`metrics_between` is the public read of endpoints' invocation metrics (CloudWatch's
`AWS/SageMaker` namespace answers from it).
"""

from .metrics import MetricMinute, metric_series, metrics_between

__all__ = ["MetricMinute", "metric_series", "metrics_between"]
