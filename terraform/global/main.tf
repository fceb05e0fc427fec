data "aws_partition" "current" {}

module "ecr" {
  source   = "../modules/ecr"
  for_each = toset(var.repositories)

  name            = each.value
  max_image_count = var.max_image_count
  # Environments in accounts of their own pull the very digest Shipgate resolved here (repository policy,
  # pull actions only; their task execution roles still need the pull permissions, which
  # AmazonECSTaskExecutionRolePolicy grants). See README, "One AWS account per environment".
  pull_principal_arns = [for id in var.environment_account_ids : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
}

# Lets tasks in private subnets without a NAT gateway pull public images (such
# as the bootstrap image of new services) through the ECR VPC endpoints.
resource "aws_ecr_pull_through_cache_rule" "ecr_public" {
  ecr_repository_prefix = "ecr-public"
  upstream_registry_url = "public.ecr.aws"
}
