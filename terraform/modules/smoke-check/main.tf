# Where Shipgate's smoke check (the `verify-hook` Lambda ECS invokes at POST_TEST_TRAFFIC_SHIFT) runs in this
# environment: the private subnets and a security group of its own. The load balancer's test listener admits
# that group by reference (alb module `test_ingress_security_groups`); Shipgate's CDK stack reads both from
# the SSM parameters below (CloudFormation SSM parameter types) and places the environment's hook function
# there.

locals {
  parameter_prefix = "${var.prefix}/${var.environment}/smoke-check"
}

resource "aws_security_group" "this" {
  name        = "${var.name}-smoke-check"
  description = "Shipgate smoke check (ECS lifecycle hook Lambda): test listener and AWS endpoints out, nothing in"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-smoke-check" })
}

resource "aws_vpc_security_group_egress_rule" "test_listener" {
  for_each = { for p in var.test_listener_ports : tostring(p) => p }

  security_group_id            = aws_security_group.this.id
  description                  = "Test listener on ${each.key}"
  referenced_security_group_id = var.load_balancer_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
}

# The hook reads its deploy contract (SSM) through the interface endpoints.
resource "aws_vpc_security_group_egress_rule" "endpoints" {
  security_group_id            = aws_security_group.this.id
  description                  = "AWS APIs through the interface endpoints"
  referenced_security_group_id = var.endpoints_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

# ... and records its checks in Shipgate's table through the DynamoDB gateway endpoint.
resource "aws_vpc_security_group_egress_rule" "dynamodb" {
  security_group_id = aws_security_group.this.id
  description       = "DynamoDB through the gateway endpoint"
  prefix_list_id    = var.dynamodb_prefix_list_id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_ssm_parameter" "vpc_id" {
  name        = "${local.parameter_prefix}/vpc-id"
  description = "VPC of ${var.environment} where Shipgate's smoke check hook runs (written by Terraform; read by Shipgate's stack)"
  type        = "String"
  value       = var.vpc_id

  tags = merge(var.tags, { Environment = var.environment })
}

resource "aws_ssm_parameter" "subnet_ids" {
  name        = "${local.parameter_prefix}/subnet-ids"
  description = "Private subnets of ${var.environment} where Shipgate's smoke check hook runs (written by Terraform; read by Shipgate's stack)"
  type        = "StringList"
  value       = join(",", var.subnet_ids)

  tags = merge(var.tags, { Environment = var.environment })
}

resource "aws_ssm_parameter" "security_group_id" {
  name        = "${local.parameter_prefix}/security-group-id"
  description = "Security group of Shipgate's smoke check hook in ${var.environment}; the test listener admits it by reference (written by Terraform; read by Shipgate's stack)"
  type        = "String"
  value       = aws_security_group.this.id

  tags = merge(var.tags, { Environment = var.environment })
}

# --- An environment in an account of its own ---------------------------------------------------------------
# Shipgate's stack (and so the hook function) is in Shipgate's account. Sharing the subnets and this security
# group with that account (AWS RAM, within the Organization only) lets the function run in this VPC with this
# group, so the test listener's reference above still means exactly the hook. Shipgate's stack reads the three
# parameters in its own account: write them there too (README, "One AWS account per environment", step 3).

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_ram_resource_share" "shipgate" {
  count = var.share_with_account_id == null ? 0 : 1

  name                      = "${var.name}-smoke-check"
  allow_external_principals = false

  tags = var.tags
}

resource "aws_ram_principal_association" "shipgate" {
  count = var.share_with_account_id == null ? 0 : 1

  principal          = var.share_with_account_id
  resource_share_arn = aws_ram_resource_share.shipgate[0].arn
}

resource "aws_ram_resource_association" "subnets" {
  # count, not for_each: the subnet ids are only known after apply, their number before.
  count = var.share_with_account_id == null ? 0 : length(var.subnet_ids)

  resource_arn       = "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:subnet/${var.subnet_ids[count.index]}"
  resource_share_arn = aws_ram_resource_share.shipgate[0].arn
}

resource "aws_ram_resource_association" "security_group" {
  count = var.share_with_account_id == null ? 0 : 1

  resource_arn       = aws_security_group.this.arn
  resource_share_arn = aws_ram_resource_share.shipgate[0].arn
}
