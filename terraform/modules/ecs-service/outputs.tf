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
