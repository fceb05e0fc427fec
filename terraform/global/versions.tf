terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.20"
    }
  }

  # Partial configuration: bucket and region come from `-backend-config`
  # (TF_STATE_BUCKET and AWS_REGION in CI), see README.md.
  backend "s3" {
    key          = "global/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "shipgate"
      Stack     = "global"
      ManagedBy = "terraform"
    }
  }
}
