output "application_name" {
  description = "CodeDeploy application (deploy contract `codeDeploy.application`)."
  value       = try(aws_codedeploy_app.this.name, null)
}

output "deployment_group_name" {
  description = "CodeDeploy deployment group (deploy contract `codeDeploy.deploymentGroup`)."
  value       = try(aws_codedeploy_deployment_group.this.deployment_group_name, null)
}

output "deployment_config_name" {
  description = "Default deployment config of the group (deploy contract `codeDeploy.deploymentConfig`)."
  value       = try(aws_codedeploy_deployment_group.this.deployment_config_name, null)
}

output "service_role_arn" {
  description = "ARN of the role CodeDeploy assumes."
  value       = try(aws_iam_role.this.arn, null)
}
