module "ecr" {
  source   = "../modules/ecr"
  for_each = toset(var.repositories)

  name            = each.value
  max_image_count = var.max_image_count
}

# Lets tasks in private subnets without a NAT gateway pull public images (such
# as the bootstrap image of new services) through the ECR VPC endpoints.
resource "aws_ecr_pull_through_cache_rule" "ecr_public" {
  ecr_repository_prefix = "ecr-public"
  upstream_registry_url = "public.ecr.aws"
}
