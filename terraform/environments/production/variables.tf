variable "region" {
  description = "AWS region of the environment (CI sets TF_VAR_region)."
  type        = string
  default     = "us-east-1"
}

variable "environment" {
  description = "The environment's settings, as modules/environment's `environment` input documents them (terraform.tfvars)."
  type        = any
}
