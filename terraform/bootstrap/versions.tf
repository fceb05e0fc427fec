terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.20"
    }
  }

  # Bootstrap starts with local state (the bucket does not exist yet). After the
  # first apply, move it into the bucket it created; see README.md "Bootstrap".
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "shipgate"
      Stack     = "bootstrap"
      ManagedBy = "terraform"
    }
  }
}
