output "provider_arn" {
  description = "ARN of the IAM OIDC provider trusted by the roles."
  value       = try(local.provider_arn, null)
}

output "audience" {
  description = "Audience the jobs must request: `id_tokens: <NAME>: aud: <this>` in .gitlab-ci.yml."
  value       = try(local.audience, null)
}

output "role_arns" {
  description = "ARN of each role, keyed by role name: set it as the `AWS_ROLE_ARN` CI/CD variable of the projects it trusts."
  value       = try({ for name, role in aws_iam_role.this : name => role.arn }, null)
}

output "subjects" {
  description = "Exact `sub` values each role trusts."
  value       = try(local.subjects, null)
}
