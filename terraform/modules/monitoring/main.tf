locals {
  # One alarm per (service, signal). Each alarm sums a metric over the service's
  # target groups with metric math, so a blue/green service is watched whichever
  # target group is live.
  signals = {
    "5xx" = {
      description = "Target 5xx responses per minute at or above the threshold"
      metric      = "HTTPCode_Target_5XX_Count"
      stat        = "Sum"
      combine     = "SUM"
      threshold   = var.error_threshold
    }
    "unhealthy-hosts" = {
      description = "Unhealthy targets behind the load balancer"
      metric      = "UnHealthyHostCount"
      stat        = "Maximum"
      combine     = "SUM"
      threshold   = var.unhealthy_hosts_threshold
    }
    "latency-p99" = {
      description = "p99 target response time at or above the threshold (seconds)"
      metric      = "TargetResponseTime"
      stat        = "p99"
      combine     = "MAX"
      threshold   = var.latency_threshold_seconds
    }
  }

  alarms = merge([
    for service, s in var.services : {
      for signal, cfg in local.signals : "${service}/${signal}" => merge(cfg, {
        service     = service
        signal      = signal
        alarm_name  = "${var.name}-${service}-${signal}"
        suffixes    = s.target_group_arn_suffixes
        suffix_keys = [for i, _ in s.target_group_arn_suffixes : "m${i}"]
      })
    }
  ]...)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = each.value.alarm_name
  alarm_description   = "${each.value.description} for ${each.value.service}. Rolls an in-flight deployment back."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  metric_query {
    id          = "e1"
    label       = "${each.value.service} ${each.value.signal}"
    expression  = "${each.value.combine}([${join(", ", each.value.suffix_keys)}])"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.suffixes

    content {
      id = "m${metric_query.key}"

      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = each.value.metric
        period      = 60
        stat        = each.value.stat
        dimensions = {
          LoadBalancer = var.load_balancer_arn_suffix
          TargetGroup  = metric_query.value
        }
      }
    }
  }

  tags = merge(var.tags, { Service = each.value.service })
}
