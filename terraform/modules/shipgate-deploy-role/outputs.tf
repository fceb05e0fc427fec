output "role_arn" {
  description = "ARN of the deploy role: `environments[].aws.deployRole` in shipgate.config.yaml."
  value       = try(aws_iam_role.this.arn, null)
}

output "ecs_hook_role_arn" {
  description = "ARN of the role ECS of this account invokes Shipgate's verify hook with (`<deploy role>-ecs-hooks`)."
  value       = try(aws_iam_role.ecs_hooks.arn, null)
}

output "event_rule_arn" {
  description = "ARN of the rule forwarding ECS and CodeDeploy deployment events to Shipgate's bus."
  value       = try(aws_cloudwatch_event_rule.forward.arn, null)
}

output "events_role_arn" {
  description = "ARN of the role EventBridge sends the forwarded events with."
  value       = try(aws_iam_role.events.arn, null)
}

output "forward_failed_queue_arn" {
  description = "ARN of the queue holding events the rule could not put on Shipgate's bus (alarm `<name>-forward-failed`)."
  value       = try(aws_sqs_queue.forward_failed.arn, null)
}
