variable "name" {
  description = "Name of the ECR repository, e.g. `inventory-app` (the `repository` of the service in shipgate.config.yaml)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name))
    error_message = "The name must be a valid ECR repository name: lower-case letters, digits, '.', '_', '-' and '/'."
  }
}

variable "scan_on_push" {
  description = "Scan every pushed image for vulnerabilities; Shipgate's scan gate reads the findings."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key encrypting the images; null uses AES-256 with an AWS-owned key."
  type        = string
  default     = null
}

variable "untagged_image_expiry_days" {
  description = "Days after which untagged images (superseded layers, failed pushes) are deleted."
  type        = number
  default     = 7
}

variable "max_image_count" {
  description = "Images kept in the repository; older ones expire. Keep it well above the number of releases you may want to roll back to."
  type        = number
  default     = 200
}

variable "pull_principal_arns" {
  description = "IAM principals (e.g. other accounts' roles) allowed to pull; same-account access is governed by IAM policies alone."
  type        = list(string)
  default     = []
}

variable "force_delete" {
  description = "Delete the repository even if it holds images (never in production: images are the release history)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
