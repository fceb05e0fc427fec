output "alarm_names" {
  description = "Alarm names per service: feed them to the ECS service (rollback), the CodeDeploy deployment group and the deploy contract (`alarms`)."
  value = try({
    for service in keys(var.services) : service => sort([
      for key, a in aws_cloudwatch_metric_alarm.this : a.alarm_name if local.alarms[key].service == service
    ])
  }, null)
}

output "alarm_arns" {
  description = "Alarm ARNs keyed by `<service>/<signal>`."
  value       = try({ for k, a in aws_cloudwatch_metric_alarm.this : k => a.arn }, null)
}
