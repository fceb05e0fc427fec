variable "region" {
  description = "AWS region of the state bucket, the environments and the ECR repositories."
  type        = string
  default     = "us-east-1"
}

variable "state_bucket_name" {
  description = "Globally unique name of the S3 bucket holding every Terraform state of the project (set it as the TF_STATE_BUCKET CI/CD variable of the infra project)."
  type        = string
}

variable "noncurrent_state_retention_days" {
  description = "Days old state versions are kept (recovery from a bad apply)."
  type        = number
  default     = 90
}

variable "gitlab_url" {
  description = "Public HTTPS URL of the GitLab instance whose CI jobs assume the roles (its external_url; AWS must reach its /.well-known/openid-configuration)."
  type        = string
}

variable "oidc_audience" {
  description = "Audience the CI jobs request in `id_tokens`; null means the GitLab URL."
  type        = string
  default     = null
}

variable "service_projects" {
  description = "GitLab project path of each service, keyed by ECR repository name: each project gets a role that may push to its own repository only, from its protected default branch."
  type = map(object({
    project_path = string
    ref          = optional(string, "main")
  }))
  default = {
    "api-gateway"   = { project_path = "root/api-gateway" }
    "inventory-app" = { project_path = "root/inventory-app" }
    "billing-app"   = { project_path = "root/billing-app" }
  }
}

variable "infra_project" {
  description = "GitLab project path of the infrastructure repository (this terraform/ directory) and its protected branch; its pipeline plans and applies with the Terraform role."
  type = object({
    project_path = string
    ref          = optional(string, "main")
  })
  default = {
    project_path = "root/cloud-design-infra"
  }
}

variable "name_prefix" {
  description = "Prefix of every IAM role, policy and resource the environments create; the Terraform role may manage IAM only under it."
  type        = string
  default     = "shipgate"
}
