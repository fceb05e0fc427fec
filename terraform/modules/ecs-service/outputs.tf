output "name" {
  description = "Name of the ECS service (deploy contract `service`)."
  value       = try(local.service_name, null)
}

output "id" {
  description = "ARN of the ECS service."
  value       = try(local.traffic_shifting ? aws_ecs_service.traffic_shifting[0].id : aws_ecs_service.this[0].id, null)
}

output "container_name" {
  description = "Container whose image Shipgate replaces (deploy contract `containerName`)."
  value       = try(local.container_name, null)
}

output "container_port" {
  description = "Port of the application container (deploy contract `containerPort`)."
  value       = try(var.container_port, null)
}

output "strategy" {
  description = "Rollout strategy the service is set up for (deploy contract `strategy`)."
  value       = try(var.strategy, null)
}

output "task_definition_family" {
  description = "Task definition family; Shipgate registers its revisions in it."
  value       = try(aws_ecs_task_definition.this.family, null)
}

output "bootstrap_task_definition_arn" {
  description = "ARN of the bootstrap task definition Terraform registered."
  value       = try(aws_ecs_task_definition.this.arn, null)
}

output "task_role_arn" {
  description = "ARN of the task role (Shipgate needs iam:PassRole on it to register revisions)."
  value       = try(aws_iam_role.task.arn, null)
}

output "execution_role_arn" {
  description = "ARN of the execution role (Shipgate needs iam:PassRole on it to register revisions)."
  value       = try(aws_iam_role.execution.arn, null)
}

output "security_group_id" {
  description = "Security group of the service's tasks."
  value       = try(aws_security_group.this.id, null)
}

output "log_group_name" {
  description = "CloudWatch log group of the service's containers."
  value       = try(aws_cloudwatch_log_group.this.name, null)
}

output "url" {
  description = "Base URL of the service behind the load balancer (deploy contract `smokeUrl`)."
  value       = try("${var.listener.production_url}${local.url_path}", null)
}

output "target_group_arn" {
  description = "ARN of the target group that takes the first revision's traffic."
  value       = try(aws_lb_target_group.this["blue"].arn, null)
}

output "target_group_names" {
  description = "Names of the service's target groups: the first, then the alternate one when the strategy shifts traffic (CodeDeploy deployment groups name both)."
  value       = try(values(aws_lb_target_group.this)[*].name, null) # keys in lexical order: blue, then green
}

output "target_group_arn_suffixes" {
  description = "ARN suffixes of the service's target groups (the `TargetGroup` dimension of their CloudWatch metrics)."
  value       = try(values(aws_lb_target_group.this)[*].arn_suffix, null)
}

output "blue_green" {
  description = "BLUE_GREEN, LINEAR and CANARY: what ECS shifts traffic with (deploy contract `blueGreen`); null for other strategies."
  value = try(local.ecs_traffic ? {
    alternate_target_group_arn   = aws_lb_target_group.this["green"].arn
    production_listener_rule_arn = aws_lb_listener_rule.this["production"].arn
    test_listener_rule_arn       = aws_lb_listener_rule.this["test"].arn
    infrastructure_role_arn      = aws_iam_role.infrastructure[0].arn
    test_url                     = "${var.listener.test_url}${local.url_path}"
  } : null, null)
}

output "lifecycle_hooks" {
  description = "Lifecycle hooks ECS runs, each with the role it invokes them with (deploy contract `lifecycleHooks`)."
  value = try([for h in local.hooks : {
    hook_target_arn  = h.hook_target_arn
    role_arn         = aws_iam_role.hooks[0].arn
    lifecycle_stages = h.lifecycle_stages
  }], null)
}
