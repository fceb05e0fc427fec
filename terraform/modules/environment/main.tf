# One environment: network, load balancer, cluster, data stores, services, CodeDeploy
# groups, alarms and deploy contracts. Every environment root calls this module once
# with its terraform.tfvars; environments differ in nothing else but their backend key.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  name = "shipgate-${var.environment.name}"

  codedeploy_services  = { for k, s in var.environment.services : k => s if s.strategy == "CODEDEPLOY" }
  ecs_traffic_services = { for k, s in var.environment.services : k => s if contains(["BLUE_GREEN", "LINEAR", "CANARY"], s.strategy) }

  # The smoke check calls the test listener from inside the VPC, which only works when the load balancer's
  # name resolves to private addresses: internal whenever a service shifts traffic with ECS, unless said
  # otherwise (and the variable refuses "otherwise" for such services). See docs/architecture.md, "Network
  # path of the smoke check".
  internal_load_balancer = var.environment.internal_load_balancer != null ? var.environment.internal_load_balancer : length(local.ecs_traffic_services) > 0
  test_listener_port     = 8443

  # The listeners each service's traffic arrives on: CodeDeploy services have their own.
  listeners = {
    for k, s in var.environment.services : k => s.strategy == "CODEDEPLOY" ? {
      production_arn = module.alb.codedeploy[k].production_listener_arn
      production_url = module.alb.codedeploy[k].url
      test_arn       = module.alb.codedeploy[k].test_listener_arn
      test_url       = null
      } : {
      production_arn = module.alb.production_listener_arn
      production_url = module.alb.url
      test_arn       = module.alb.test_listener_arn
      test_url       = module.alb.test_url
    }
  }

  bootstrap_image = coalesce(
    var.environment.bootstrap_image,
    "${data.aws_caller_identity.current.account_id}.dkr.ecr.${data.aws_region.current.region}.amazonaws.com/ecr-public/nginx/nginx:stable-alpine",
  )

  # Connection settings of the data stores, as plain variables and secret references.
  data_environment = {
    for k, s in var.environment.services : k => merge(concat(
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
    for k, s in var.environment.services : k => merge(concat(
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
  source = "../network"

  name               = local.name
  cidr               = var.environment.vpc_cidr
  enable_nat_gateway = var.environment.enable_nat_gateway
  # EC2 container instances also need the ECS agent's and SSM's endpoints when there is no NAT.
  interface_endpoints = concat(
    ["ecr.api", "ecr.dkr", "logs", "ssm", "secretsmanager"],
    var.environment.cluster_capacity == "EC2" ? ["ecs", "ecs-agent", "ecs-telemetry", "ec2messages", "ssmmessages"] : [],
    # In an account of its own, Shipgate's verify hook runs in these subnets and assumes the deploy role.
    try(var.environment.shipgate.account_id, null) == null ? [] : ["sts"],
  )
}

module "alb" {
  source = "../alb"

  name           = local.name
  vpc_id         = module.network.vpc_id
  vpc_cidr_block = module.network.vpc_cidr_block
  internal       = local.internal_load_balancer
  subnet_ids     = local.internal_load_balancer ? module.network.private_subnet_ids : module.network.public_subnet_ids
  # An internal load balancer keeps the services public through a network load balancer in front of it.
  public_entry = local.internal_load_balancer && var.environment.public_entry ? { subnet_ids = module.network.public_subnet_ids } : null

  test_listener_port           = local.test_listener_port
  test_ingress_security_groups = { smoke_check = module.smoke_check.security_group_id }

  certificate_arn            = var.environment.certificate_arn
  route53_zone_id            = var.environment.route53_zone_id
  domain_name                = var.environment.domain_name
  enable_deletion_protection = var.environment.alb_deletion_protection

  test_listener = length(local.ecs_traffic_services) > 0
  codedeploy_services = {
    for k, s in local.codedeploy_services : k => {
      listener_port    = s.listener_port
      target_group_arn = module.service[k].target_group_arn
    }
  }
}

# Where Shipgate's smoke check hook runs in this environment (its subnets and security group, published
# for Shipgate's stack); the test listener admits its security group by reference (above).
module "smoke_check" {
  source = "../smoke-check"

  name                            = local.name
  prefix                          = var.environment.contracts_prefix
  environment                     = var.environment.name
  vpc_id                          = module.network.vpc_id
  subnet_ids                      = module.network.private_subnet_ids
  load_balancer_security_group_id = module.alb.security_group_id
  test_listener_ports             = length(local.ecs_traffic_services) > 0 ? [local.test_listener_port] : []
  endpoints_security_group_id     = module.network.endpoints_security_group_id
  dynamodb_prefix_list_id         = module.network.dynamodb_prefix_list_id
  # In an account of its own: shared with Shipgate's account, where its verify hook function is.
  share_with_account_id = try(var.environment.shipgate.account_id, null)
}

module "cluster" {
  source = "../ecs-cluster"

  name       = local.name
  capacity   = var.environment.cluster_capacity
  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.private_subnet_ids
}

module "data" {
  source = "../data"

  name       = local.name
  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.private_subnet_ids
  databases  = var.environment.databases
  rabbitmq   = var.environment.rabbitmq
}

module "monitoring" {
  source = "../monitoring"

  name                     = local.name
  load_balancer_arn_suffix = module.alb.arn_suffix
  alarm_actions            = var.environment.alarm_actions

  services = {
    for k in keys(var.environment.services) : k => {
      target_group_arn_suffixes = module.service[k].target_group_arn_suffixes
    }
  }
}

module "service" {
  source   = "../ecs-service"
  for_each = var.environment.services

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

  lifecycle_hooks = each.value.lifecycle_hooks

  listener    = local.listeners[each.key]
  path_prefix = each.value.path_prefix
  priority    = each.value.priority
  alarm_names = module.monitoring.alarm_names[each.key]
}

module "codedeploy" {
  source   = "../codedeploy"
  for_each = local.codedeploy_services

  name                   = "${local.name}-${each.key}"
  cluster_name           = local.name
  service_name           = module.service[each.key].name
  deployment_config_name = each.value.codedeploy_config

  production_listener_arns = [module.alb.codedeploy[each.key].production_listener_arn]
  test_listener_arns       = [module.alb.codedeploy[each.key].test_listener_arn]
  target_group_names       = module.service[each.key].target_group_names
  alarm_names              = module.monitoring.alarm_names[each.key]
}

# The deploy contract: everything Shipgate needs to roll a service out, published
# where Shipgate reads it (`<contractsPrefix>/<environment>/services/<service>`).
module "contract" {
  source   = "../deploy-contract"
  for_each = var.environment.services

  prefix         = var.environment.contracts_prefix
  environment    = var.environment.name
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
  blue_green      = module.service[each.key].blue_green
  lifecycle_hooks = module.service[each.key].lifecycle_hooks
  smoke_url       = module.service[each.key].url
  smoke_path      = "/readyz"
  alarms          = module.monitoring.alarm_names[each.key]
  repository      = each.value.repository
}

# An environment in an AWS account of its own (shipgate.config.yaml `environments[].aws`): the role Shipgate
# assumes here, allowed exactly what Shipgate does for this environment (passing only these services' roles),
# the role ECS invokes Shipgate's verify hook with, and the forwarding of deployment events to Shipgate's bus.
module "shipgate_deploy_role" {
  source = "../shipgate-deploy-role"
  # Once Shipgate's stack exists: its outputs name the roles to trust, the bus and the hook.
  count = try(var.environment.shipgate.role_arns, null) == null ? 0 : 1

  name                     = var.environment.shipgate.deploy_role_name
  environment              = var.environment.name
  contracts_prefix         = var.environment.contracts_prefix
  shipgate_role_arns       = var.environment.shipgate.role_arns
  external_id              = var.environment.shipgate.external_id
  shipgate_event_bus_arn   = var.environment.shipgate.event_bus_arn
  verify_hook_function_arn = var.environment.shipgate.verify_hook_function_arn
  task_role_arns           = flatten([for k in keys(var.environment.services) : [module.service[k].task_role_arn, module.service[k].execution_role_arn]])
  ecs_role_arns = distinct(flatten([for k in keys(var.environment.services) : concat(
    module.service[k].lifecycle_hooks == null ? [] : [for h in module.service[k].lifecycle_hooks : h.role_arn],
    module.service[k].blue_green == null ? [] : [module.service[k].blue_green.infrastructure_role_arn],
  )]))
}
