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
