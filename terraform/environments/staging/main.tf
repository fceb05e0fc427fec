# Identical in every environment (a test checks it): environments differ only in
# terraform.tfvars and their backend key.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  name = "shipgate-${var.environment}"

  codedeploy_services = { for k, s in var.services : k => s if s.strategy == "CODEDEPLOY" }

  bootstrap_image = coalesce(
    var.bootstrap_image,
    "${data.aws_caller_identity.current.account_id}.dkr.ecr.${data.aws_region.current.region}.amazonaws.com/ecr-public/nginx/nginx:stable-alpine",
  )

  # Connection settings of the data stores, as plain variables and secret references.
  data_environment = {
    for k, s in var.services : k => merge(concat(
      [for db in compact([s.database]) : {
        DB_HOST = module.data.databases[db].host
        DB_PORT = tostring(module.data.databases[db].port)
        DB_NAME = module.data.databases[db].db_name
      }],
      [for _ in s.rabbitmq ? [1] : [] : {
        RABBITMQ_HOST = module.data.rabbitmq_host
        RABBITMQ_PORT = "5671"
      }],
    )...)
  }

  data_secrets = {
    for k, s in var.services : k => merge(concat(
      [for db in compact([s.database]) : {
        DB_USER     = "${module.data.databases[db].secret_arn}:username::"
        DB_PASSWORD = "${module.data.databases[db].secret_arn}:password::"
      }],
      [for _ in s.rabbitmq ? [1] : [] : {
        RABBITMQ_USER     = "${module.data.rabbitmq_secret_arn}:username::"
        RABBITMQ_PASSWORD = "${module.data.rabbitmq_secret_arn}:password::"
        RABBITMQ_URL      = "${module.data.rabbitmq_secret_arn}:url::"
      }],
    )...)
  }
}

module "network" {
  source = "../../modules/network"

  name               = local.name
  cidr               = var.vpc_cidr
  enable_nat_gateway = var.enable_nat_gateway
  # EC2 container instances also need the ECS agent's and SSM's endpoints when there is no NAT.
  interface_endpoints = concat(
    ["ecr.api", "ecr.dkr", "logs", "ssm", "secretsmanager"],
    var.cluster_capacity == "EC2" ? ["ecs", "ecs-agent", "ecs-telemetry", "ec2messages", "ssmmessages"] : [],
  )
}

module "alb" {
  source = "../../modules/alb"

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  vpc_cidr_block             = module.network.vpc_cidr_block
  subnet_ids                 = module.network.public_subnet_ids
  certificate_arn            = var.certificate_arn
  route53_zone_id            = var.route53_zone_id
  domain_name                = var.domain_name
  enable_deletion_protection = var.alb_deletion_protection

  services = {
    for k, s in var.services : k => {
      container_port = s.container_port
      path_prefix    = s.path_prefix
      priority       = s.priority
      blue_green     = s.strategy != "ROLLING"
      codedeploy     = s.strategy == "CODEDEPLOY"
      listener_port  = s.listener_port
    }
  }
}

module "cluster" {
  source = "../../modules/ecs-cluster"

  name       = local.name
  capacity   = var.cluster_capacity
  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.private_subnet_ids
}

module "data" {
  source = "../../modules/data"

  name       = local.name
  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.private_subnet_ids
  databases  = var.databases
  rabbitmq   = var.rabbitmq
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                     = local.name
  load_balancer_arn_suffix = module.alb.arn_suffix
  alarm_actions            = var.alarm_actions

  services = {
    for k, s in var.services : k => {
      target_group_arn_suffixes = s.strategy == "ROLLING" ? [module.alb.services[k].target_group_arn_suffix] : [
        module.alb.services[k].target_group_arn_suffix,
        module.alb.services[k].alternate_target_group_suffix,
      ]
    }
  }
}

module "service" {
  source   = "../../modules/ecs-service"
  for_each = var.services

  name                       = each.key
  cluster_name               = local.name
  cluster_arn                = module.cluster.arn
  capacity_provider_strategy = module.cluster.capacity_provider_strategy
  requires_compatibilities   = module.cluster.requires_compatibilities

  vpc_id                          = module.network.vpc_id
  subnet_ids                      = module.network.private_subnet_ids
  load_balancer_security_group_id = module.alb.security_group_id
  security_group_ids              = each.value.database != null || each.value.rabbitmq ? [module.data.client_security_group_id] : []

  container_port  = each.value.container_port
  cpu             = each.value.cpu
  memory          = each.value.memory
  bootstrap_image = local.bootstrap_image
  environment     = merge(each.value.environment, local.data_environment[each.key])
  secrets         = local.data_secrets[each.key]

  desired_count = each.value.desired_count
  autoscaling = {
    min_capacity = each.value.min_capacity
    max_capacity = each.value.max_capacity
  }

  strategy                         = each.value.strategy
  bake_time_in_minutes             = each.value.bake_time_in_minutes
  canary_percent                   = each.value.canary_percent
  canary_bake_time_in_minutes      = each.value.canary_bake_time_in_minutes
  linear_step_percent              = each.value.linear_step_percent
  linear_step_bake_time_in_minutes = each.value.linear_step_bake_time_in_minutes

  target_group_arn             = module.alb.services[each.key].target_group_arn
  alternate_target_group_arn   = module.alb.services[each.key].alternate_target_group_arn
  production_listener_rule_arn = module.alb.services[each.key].production_listener_rule_arn
  test_listener_rule_arn       = module.alb.services[each.key].test_listener_rule_arn
  alarm_names                  = module.monitoring.alarm_names[each.key]
}

module "codedeploy" {
  source   = "../../modules/codedeploy"
  for_each = local.codedeploy_services

  name                   = "${local.name}-${each.key}"
  cluster_name           = local.name
  service_name           = module.service[each.key].name
  deployment_config_name = each.value.codedeploy_config

  production_listener_arns = [module.alb.services[each.key].production_listener_arn]
  test_listener_arns       = [module.alb.services[each.key].test_listener_arn]
  target_group_names = [
    module.alb.services[each.key].target_group_name,
    module.alb.services[each.key].alternate_target_group_name,
  ]
  alarm_names = module.monitoring.alarm_names[each.key]
}

# The deploy contract: everything Shipgate needs to roll a service out, published
# where Shipgate reads it (`<contractsPrefix>/<environment>/services/<service>`).
module "contract" {
  source   = "../../modules/deploy-contract"
  for_each = var.services

  prefix         = var.contracts_prefix
  environment    = var.environment
  service        = each.key
  cluster        = module.cluster.name
  ecs_service    = module.service[each.key].name
  container_name = module.service[each.key].container_name
  container_port = each.value.container_port
  strategy       = each.value.strategy
  code_deploy = each.value.strategy != "CODEDEPLOY" ? null : {
    application       = module.codedeploy[each.key].application_name
    deployment_group  = module.codedeploy[each.key].deployment_group_name
    deployment_config = module.codedeploy[each.key].deployment_config_name
  }
  smoke_url  = module.alb.services[each.key].url
  smoke_path = "/readyz"
  alarms     = module.monitoring.alarm_names[each.key]
  repository = each.value.repository
}
