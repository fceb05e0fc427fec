output "id" {
  description = "ID of the ECS cluster."
  value       = try(aws_ecs_cluster.this.id, null)
}

output "arn" {
  description = "ARN of the ECS cluster."
  value       = try(aws_ecs_cluster.this.arn, null)
}

output "name" {
  description = "Name of the ECS cluster."
  value       = try(aws_ecs_cluster.this.name, null)
}

output "capacity" {
  description = "Where tasks run: FARGATE or EC2."
  value       = try(var.capacity, null)
}

output "requires_compatibilities" {
  description = "Launch type task definitions must be compatible with on this cluster."
  value       = try([local.ec2 ? "EC2" : "FARGATE"], null)
}

output "capacity_provider_strategy" {
  description = "Capacity provider strategy services should use on this cluster."
  value       = try(local.default_capacity_provider_strategy, null)
}

output "autoscaling_group_name" {
  description = "Auto Scaling group of the container instances (null with FARGATE capacity)."
  value       = try(aws_autoscaling_group.this[0].name, null)
}
