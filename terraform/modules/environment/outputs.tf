output "url" {
  description = "Base URL of the environment: the Route 53 name when a hosted zone is set, otherwise the load balancer's DNS name (replaces the seed's DuckDNS update)."
  value       = try(module.alb.url, null)
}

output "alb_dns_name" {
  description = "Public DNS name of the environment: the public entry's when the load balancer is internal, else the load balancer's (point a CNAME at it when DNS is managed outside Route 53)."
  value       = try(coalesce(module.alb.public_entry_dns_name, module.alb.dns_name), null)
}

output "service_urls" {
  description = "Public base URL of each service."
  value       = try({ for k in keys(var.environment.services) : k => module.service[k].url }, null)
}

output "cluster_name" {
  description = "ECS cluster of the environment."
  value       = try(module.cluster.name, null)
}

output "deploy_contracts" {
  description = "SSM parameter of each service's deploy contract: Shipgate reads these (its config's `contractsPrefix` must match)."
  value       = try({ for k in keys(var.environment.services) : k => module.contract[k].name }, null)
}

output "deploy_contract_arns" {
  description = "ARNs of the contract parameters (Shipgate's role needs ssm:GetParameter on them)."
  value       = try([for k in keys(var.environment.services) : module.contract[k].arn], null)
}

output "task_role_arns" {
  description = "Task and execution role ARNs Shipgate passes when it registers task definitions (grant its role iam:PassRole on exactly these)."
  value       = try(flatten([for k in keys(var.environment.services) : [module.service[k].task_role_arn, module.service[k].execution_role_arn]]), null)
}

output "codedeploy" {
  description = "CodeDeploy application and deployment group of services that use CODEDEPLOY."
  value = try({
    for k in keys(local.codedeploy_services) : k => {
      application      = module.codedeploy[k].application_name
      deployment_group = module.codedeploy[k].deployment_group_name
    }
  }, null)
}

output "databases" {
  description = "Host, port, database and credentials secret ARN of each database."
  value       = try(module.data.databases, null)
}

output "rabbitmq_secret_arn" {
  description = "Secrets Manager secret with the broker credentials."
  value       = try(module.data.rabbitmq_secret_arn, null)
}

output "smoke_check" {
  description = "Where Shipgate's smoke check hook runs: its security group and the SSM parameters Shipgate's stack reads (subnets, security group)."
  value = try({
    security_group_id           = module.smoke_check.security_group_id
    subnet_ids_parameter        = module.smoke_check.subnet_ids_parameter
    security_group_id_parameter = module.smoke_check.security_group_id_parameter
  }, null)
}

output "shipgate_deploy_role" {
  description = "Only for an environment in an account of its own, once `shipgate` has the stack's outputs: the deploy role (shipgate.config.yaml `environments[].aws.deployRole`), the ECS hook role and the event forwarding rule."
  value = try(length(module.shipgate_deploy_role) == 0 ? null : {
    role_arn          = module.shipgate_deploy_role[0].role_arn
    ecs_hook_role_arn = module.shipgate_deploy_role[0].ecs_hook_role_arn
    event_rule_arn    = module.shipgate_deploy_role[0].event_rule_arn
  }, null)
}
