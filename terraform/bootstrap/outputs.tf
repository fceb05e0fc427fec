output "state_bucket" {
  description = "Name of the Terraform state bucket: the TF_STATE_BUCKET CI/CD variable of the infra project, and `-backend-config=bucket=...` locally."
  value       = try(aws_s3_bucket.this.bucket, null)
}

output "region" {
  description = "Region of the state bucket and the environments: the AWS_REGION CI/CD variable."
  value       = try(var.region, null)
}

output "oidc_audience" {
  description = "Audience the GitLab jobs request (`id_tokens: ... aud:`): the AWS_OIDC_AUDIENCE CI/CD variable."
  value       = try(module.gitlab_oidc.audience, null)
}

output "ecr_push_role_arns" {
  description = "Per service project (keyed by GitLab project path): the role its pipeline assumes to push images, i.e. that project's AWS_ROLE_ARN CI/CD variable."
  value       = try({ for repository, p in var.service_projects : p.project_path => module.gitlab_oidc.role_arns["gitlab-ci-ecr-push-${repository}"] }, null)
}

output "terraform_role_arn" {
  description = "Role the infra pipeline assumes to plan and apply: the AWS_ROLE_ARN CI/CD variable of the infra project."
  value       = try(module.gitlab_oidc.role_arns["gitlab-ci-terraform"], null)
}

output "trusted_subjects" {
  description = "Exact `sub` claims each role trusts (audit)."
  value       = try(module.gitlab_oidc.subjects, null)
}
