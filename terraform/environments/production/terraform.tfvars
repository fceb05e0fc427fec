# Production: two tasks minimum per service, Multi-AZ data stores, deletion
# protection. billing-app rolls out as an ECS-native CANARY (10 % for 5 minutes,
# then 5 minutes of bake) as shipgate.config.yaml says; test/unit/terraform checks
# the two agree. For it the ecs-service module creates the second target group,
# the production and test listener rules, the ECS infrastructure role, and (when
# `lifecycle_hooks` lists Lambda functions, e.g. a smoke check at
# POST_TEST_TRAFFIC_SHIFT) the role ECS invokes them with; all of it is published
# in the contract's `blueGreen` and `lifecycleHooks`.
#
# To move a service to CodeDeploy blue/green instead, set
#   strategy          = "CODEDEPLOY"
#   codedeploy_config = "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
#   listener_port     = 8081 # its own listeners: 8081 production, 8082 test
# (and the same strategy in shipgate.config.yaml): Terraform creates the second
# target group, the test listener, the CodeDeploy application and deployment
# group, and publishes them in the contract.
environment = {
  name                    = "production"
  vpc_cidr                = "10.20.0.0/16"
  alb_deletion_protection = true

  services = {
    "api-gateway" = {
      repository     = "api-gateway"
      container_port = 8080
      path_prefix    = null # catch-all: the public entry point
      priority       = 100
      cpu            = 512
      memory         = 1024
    }
    "inventory-app" = {
      repository     = "inventory-app"
      container_port = 8080
      path_prefix    = "/inventory-app"
      priority       = 10
      database       = "inventory"
    }
    "billing-app" = {
      repository                  = "billing-app"
      container_port              = 8080
      path_prefix                 = "/billing-app"
      priority                    = 20
      database                    = "billing"
      rabbitmq                    = true
      strategy                    = "CANARY"
      canary_percent              = 10
      canary_bake_time_in_minutes = 5
      bake_time_in_minutes        = 5
    }
  }

  databases = {
    inventory = { db_name = "inventory", instance_class = "db.t4g.small", multi_az = true, backup_retention_period = 14 }
    billing   = { db_name = "billing", instance_class = "db.t4g.small", multi_az = true, backup_retention_period = 14 }
  }

  rabbitmq = {
    host_instance_type = "mq.m5.large"
    deployment_mode    = "CLUSTER_MULTI_AZ"
  }

  # Production lives in its own AWS account (222222222222 in shipgate.config.yaml `environments[].aws`), not
  # Shipgate's (111111111111 here). First apply with account_id alone (the smoke check's subnets and group are
  # shared with Shipgate's account); after Shipgate's stack, add its outputs and apply again for the deploy
  # role Shipgate assumes (README, "One AWS account per environment"):
  #   role_arns                = jq '.production' of output DeployRoleCallerArns (every role listed there)
  #   event_bus_arn            = output EventBusArn
  #   verify_hook_function_arn = output VerifyHookProductionArn
  shipgate = {
    account_id       = "111111111111"
    deploy_role_name = "shipgate-deploy"
    external_id      = "shipgate-production-deploys"
    role_arns = [
      "arn:aws:iam::111111111111:role/Shipgate-StartRolloutFunctionServiceRole-EXAMPLE",
      "arn:aws:iam::111111111111:role/Shipgate-RolloutEventsFunctionServiceRole-EXAMPLE",
      "arn:aws:iam::111111111111:role/Shipgate-VerifyHookProductionHookServiceRole-EXAMPLE",
    ]
    event_bus_arn            = "arn:aws:events:us-east-1:111111111111:event-bus/default"
    verify_hook_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:Shipgate-VerifyHookProductionHookFunction-EXAMPLE"
  }
}
