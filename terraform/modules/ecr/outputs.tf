output "name" {
  description = "Name of the repository (deploy contract `repository`)."
  value       = try(aws_ecr_repository.this.name, null)
}

output "arn" {
  description = "ARN of the repository."
  value       = try(aws_ecr_repository.this.arn, null)
}

output "url" {
  description = "Repository URL the services' pipelines push `<url>:<commit-sha>` to."
  value       = try(aws_ecr_repository.this.repository_url, null)
}

output "registry_id" {
  description = "Account ID of the registry holding the repository."
  value       = try(aws_ecr_repository.this.registry_id, null)
}
