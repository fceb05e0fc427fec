variable "region" {
  description = "AWS region of the ECR repositories (the same as the environments')."
  type        = string
  default     = "us-east-1"
}

variable "repositories" {
  description = "ECR repositories to create, one per service (`services.<name>.repository` in shipgate.config.yaml). Shared by every environment: production runs the very digest staging verified."
  type        = list(string)
  default     = ["api-gateway", "inventory-app", "billing-app"]
}

variable "max_image_count" {
  description = "Images kept per repository."
  type        = number
  default     = 200
}

variable "environment_account_ids" {
  description = "AWS accounts of the environments that live in accounts of their own (shipgate.config.yaml `environments[].aws.account`): their ECS tasks may pull from the repositories (the repository policy admits the account; its IAM decides which roles)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.environment_account_ids : can(regex("^\\d{12}$", id))])
    error_message = "Each account id must be 12 digits, e.g. \"222222222222\"."
  }
}
