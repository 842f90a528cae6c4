"""The API's own metrics (its embedded metric format documents) and the saved log queries over its log.

Only what ``macro_ai_contract``'s api-metrics.json says the API publishes can be read here: asking for a
metric under dimensions it no longer carries is an error at synth, not an empty graph or an alarm that
never fires. Request counts are Latency's SampleCount."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from constructs import Construct
from macro_ai_contract.api_metrics import ApiMetrics, load_api_metrics

PERIOD = Duration.minutes(1)

# Over the API's embedded-metric documents, which stay in its log: per route and minute they carry the
# request count (Latency.Count) and the 4xx and 5xx counts, Errors4xx included though it is no metric.
BY_ROUTE_QUERY = logs.QueryString(
    fields=["Route", "Errors4xx", "Errors5xx", "Latency.Count"],
    filter_statements=["ispresent(Route)"],
    stats_statements=[
        "sum(Latency.Count) as requests, sum(Errors4xx) as errors_4xx, sum(Errors5xx) as errors_5xx by Route"
    ],
    sort="errors_4xx desc",
)
# Over the access log: the paths (with their ids) behind those counts.
BY_PATH_QUERY = logs.QueryString(
    fields=["method", "path", "status"],
    filter_statements=['message = "request"', "status >= 400"],
    stats_statements=["count(*) as responses by method, path, status"],
    sort="responses desc",
    limit=100,
)


class ApiMetricReader:
    """Metrics of one service and environment of the API (the dimension values its tasks write)."""

    def __init__(self, service: str, environment: str, metrics: ApiMetrics | None = None) -> None:
        self.names = metrics or load_api_metrics()
        self.service, self.environment = service, environment

    def metric(
        self, metric_name: str, statistic: str, route: str | None = None, label: str | None = None
    ) -> cloudwatch.Metric:
        names = self.names
        dimensions = {names.service_dimension: self.service, names.environment_dimension: self.environment}
        if route is not None:
            dimensions[names.route_dimension] = route
        if (metric_name, frozenset(dimensions)) not in names.published():
            raise ValueError(
                f"the API publishes no {metric_name} under {sorted(dimensions)} (api-metrics.json)"
            )
        return cloudwatch.Metric(
            namespace=names.namespace,
            metric_name=metric_name,
            dimensions_map=dimensions,
            period=PERIOD,
            statistic=statistic,
            label=label,
        )

    def requests(self, route: str | None = None, label: str | None = None) -> cloudwatch.Metric:
        return self.metric(self.names.latency, "SampleCount", route, label)

    def error_rate_5xx(self, route: str | None = None, label: str = "API 5xx rate (%)") -> cloudwatch.IMetric:
        """5xx in % of requests: Errors5xx over Latency's SampleCount."""
        return cloudwatch.MathExpression(
            expression="IF(FILL(apireq, 0) > 0, 100 * FILL(api5xx, 0) / apireq, 0)",
            using_metrics={
                "api5xx": self.metric("Errors5xx", "Sum", route),
                "apireq": self.requests(route),
            },
            label=label,
            period=PERIOD,
        )


class ApiLogQueries(Construct):
    """Saved Logs Insights queries over the API's log group (free: a query is billed only when run)."""

    def __init__(self, scope: Construct, construct_id: str, *, name: str, log_group: logs.ILogGroup) -> None:
        super().__init__(scope, construct_id)
        self.by_route_name = f"macro-ai {name}: 4xx and 5xx by route"
        self.by_route = logs.QueryDefinition(
            self,
            "ByRoute",
            query_definition_name=self.by_route_name,
            query_string=BY_ROUTE_QUERY,
            log_groups=[log_group],
        )
        self.by_path_name = f"macro-ai {name}: 4xx and 5xx by path"
        self.by_path = logs.QueryDefinition(
            self,
            "ByPath",
            query_definition_name=self.by_path_name,
            query_string=BY_PATH_QUERY,
            log_groups=[log_group],
        )
