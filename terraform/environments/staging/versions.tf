terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.20"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # Partial configuration: bucket and region come from `-backend-config`
  # (TF_STATE_BUCKET and AWS_REGION in CI), see README.md. Locking uses S3's
  # native lock file, no DynamoDB table.
  backend "s3" {
    key          = "staging/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "shipgate"
      Environment = var.environment.name
      ManagedBy   = "terraform"
    }
  }
}
