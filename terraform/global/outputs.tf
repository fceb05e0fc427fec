output "repository_urls" {
  description = "Repository URL per repository name: the services' pipelines push `<url>:<commit-sha>` there (ECR_REPOSITORY_URL CI/CD variable)."
  value       = try({ for name, m in module.ecr : name => m.url }, null)
}

output "repository_arns" {
  description = "Repository ARN per repository name."
  value       = try({ for name, m in module.ecr : name => m.arn }, null)
}

output "ecr_public_cache_prefix" {
  description = "Registry path prefix of the ECR Public pull-through cache, e.g. `<account>.dkr.ecr.<region>.amazonaws.com/ecr-public/nginx/nginx:stable-alpine`."
  value       = try(aws_ecr_pull_through_cache_rule.ecr_public.ecr_repository_prefix, null)
}
