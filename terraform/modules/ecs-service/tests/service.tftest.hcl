# Bootstrap task definition and service variants (mocked AWS, no account).

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
      name   = "us-east-1"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/shipgate-test"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:shipgate-test"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-test/0123456789abcdef"
      arn_suffix = "targetgroup/shipgate-test/0123456789abcdef"
    }
  }
  mock_resource "aws_lb_listener_rule" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shipgate-test/0123456789abcdef/0123456789abcdef/0123456789abcdef"
    }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/shipgate-staging-inventory-app:1"
    }
  }
}

variables {
  name                            = "inventory-app"
  cluster_name                    = "shipgate-staging"
  cluster_arn                     = "arn:aws:ecs:us-east-1:123456789012:cluster/shipgate-staging"
  capacity_provider_strategy      = [{ capacity_provider = "FARGATE", weight = 1, base = 1 }]
  vpc_id                          = "vpc-0123456789abcdef0"
  subnet_ids                      = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  load_balancer_security_group_id = "sg-0123456789abcdef0"
  path_prefix                     = "/inventory-app"
  priority                        = 10
  listener = {
    production_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shipgate-staging/0123456789abcdef/0000000000000001"
    production_url = "http://alb.example.com"
  }
  alarm_names = ["shipgate-staging-inventory-app-5xx"]
  environment = { DB_HOST = "db.example.internal" }
  secrets = {
    DB_PASSWORD = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf:password::"
    DB_USER     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf:username::"
  }
}

run "bootstrap_task_definition" {
  command = apply

  assert {
    condition     = aws_ecs_task_definition.this.family == "shipgate-staging-inventory-app" && aws_ecs_task_definition.this.network_mode == "awsvpc"
    error_message = "The family Shipgate registers revisions in is <cluster>-<service>."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].name == "inventory-app" &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].portMappings[0].containerPort == 8080 &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/ecs/shipgate-staging/inventory-app"
    )
    error_message = "The application container must be named after the service, listen on its port and log to its group."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].entryPoint == ["/bin/sh", "-c"] &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].dockerLabels["org.shipgate.bootstrap-overrides"] == "command,entryPoint" &&
      strcontains(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].command[0], "listen 8080;")
    )
    error_message = "The nginx bootstrap must answer on the container port and flag its overrides for Shipgate."
  }

  assert {
    condition = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets == [
      { name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf:password::" },
      { name = "DB_USER", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf:username::" },
    ]
    error_message = "Secrets must be passed by reference."
  }

  assert {
    condition     = length(aws_ecs_service.this) == 1 && length(aws_ecs_service.traffic_shifting) == 0 && length(aws_iam_role.infrastructure) == 0
    error_message = "ROLLING uses the plain service variant."
  }

  assert {
    condition = (
      join(",", keys(aws_lb_target_group.this)) == "blue" && join(",", keys(aws_lb_listener_rule.this)) == "production" &&
      aws_lb_target_group.this["blue"].name == "shipgate-staging-inventory-app-1" && aws_lb_target_group.this["blue"].health_check[0].path == "/readyz" &&
      aws_lb_target_group.this["blue"].health_check[0].interval <= 10 && aws_lb_target_group.this["blue"].deregistration_delay <= 30 &&
      output.blue_green == null && output.url == "http://alb.example.com/inventory-app"
    )
    error_message = "ROLLING: one fast target group, a production rule on the service's prefix, no blue/green resources."
  }

  assert {
    condition     = aws_ecs_service.this[0].deployment_circuit_breaker[0].rollback && aws_ecs_service.this[0].alarms[0].rollback
    error_message = "Rolling updates roll back on the circuit breaker and on alarms."
  }

  assert {
    condition     = aws_appautoscaling_target.this.resource_id == "service/shipgate-staging/inventory-app" && aws_appautoscaling_target.this.min_capacity == 2
    error_message = "Autoscaling owns the service's task count."
  }
}

run "own_image_has_no_overrides" {
  command = apply

  variables {
    bootstrap_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inventory-app:bootstrap"
  }

  assert {
    condition = (
      !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "entryPoint") &&
      !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "dockerLabels")
    )
    error_message = "A real bootstrap image runs as built: no overrides, no label."
  }
}

run "codedeploy_variant" {
  command = apply

  variables {
    strategy = "CODEDEPLOY"
    listener = {
      production_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shipgate-staging/0123456789abcdef/0000000000000003"
      production_url = "http://alb.example.com:8081"
      test_arn       = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shipgate-staging/0123456789abcdef/0000000000000004"
    }
  }

  assert {
    condition     = length(aws_ecs_service.this) == 0 && aws_ecs_service.traffic_shifting[0].deployment_controller[0].type == "CODE_DEPLOY"
    error_message = "CODEDEPLOY uses the CODE_DEPLOY controller on the traffic-shifting variant."
  }

  assert {
    condition     = length(aws_ecs_service.traffic_shifting[0].alarms) == 0 && length(aws_ecs_service.traffic_shifting[0].deployment_circuit_breaker) == 0
    error_message = "CodeDeploy owns rollback: no ECS circuit breaker or alarms on the service."
  }

  assert {
    condition     = join(",", keys(aws_lb_target_group.this)) == "blue,green" && length(aws_lb_listener_rule.this) == 0 && output.url == "http://alb.example.com:8081" && length(output.target_group_names) == 2
    error_message = "CODEDEPLOY: two target groups, no path rules (its listeners are its own), reached on its own port."
  }
}

run "canary_builds_what_ecs_shifts_traffic_with" {
  command = apply

  variables {
    strategy                    = "CANARY"
    canary_percent              = 10
    canary_bake_time_in_minutes = 5
    bake_time_in_minutes        = 5
    listener = {
      production_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shipgate-staging/0123456789abcdef/0000000000000001"
      production_url = "http://alb.example.com"
      test_arn       = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shipgate-staging/0123456789abcdef/0000000000000002"
      test_url       = "http://alb.example.com:8443"
    }
    lifecycle_hooks = [{
      hook_target_arn  = "arn:aws:lambda:us-east-1:123456789012:function:shipgate-smoke-check"
      lifecycle_stages = ["POST_TEST_TRAFFIC_SHIFT"]
    }]
  }

  assert {
    condition = (
      join(",", keys(aws_lb_target_group.this)) == "blue,green" && aws_lb_target_group.this["green"].name == "shipgate-staging-inventory-app-2" &&
      aws_lb_listener_rule.this["production"].listener_arn == var.listener.production_arn &&
      aws_lb_listener_rule.this["test"].listener_arn == var.listener.test_arn &&
      length(aws_lb_listener_rule.this["production"].action[0].forward[0].target_group) == 2
    )
    error_message = "CANARY needs the alternate target group and a production and a test rule forwarding to both groups."
  }

  assert {
    condition = (
      aws_ecs_service.traffic_shifting[0].deployment_controller[0].type == "ECS" &&
      aws_ecs_service.traffic_shifting[0].deployment_configuration[0].strategy == "CANARY" &&
      tostring(aws_ecs_service.traffic_shifting[0].deployment_configuration[0].bake_time_in_minutes) == "5" &&
      tostring(aws_ecs_service.traffic_shifting[0].deployment_configuration[0].canary_configuration[0].canary_percent) == "10" &&
      tostring(aws_ecs_service.traffic_shifting[0].deployment_configuration[0].canary_configuration[0].canary_bake_time_in_minutes) == "5"
    )
    error_message = "The service must run ECS's own CANARY with the configured percent and bake times."
  }

  assert {
    condition = (
      aws_ecs_service.traffic_shifting[0].load_balancer[0].advanced_configuration[0].alternate_target_group_arn == aws_lb_target_group.this["green"].arn &&
      aws_ecs_service.traffic_shifting[0].load_balancer[0].advanced_configuration[0].production_listener_rule == aws_lb_listener_rule.this["production"].arn &&
      aws_ecs_service.traffic_shifting[0].load_balancer[0].advanced_configuration[0].test_listener_rule == aws_lb_listener_rule.this["test"].arn &&
      aws_ecs_service.traffic_shifting[0].load_balancer[0].advanced_configuration[0].role_arn == aws_iam_role.infrastructure[0].arn
    )
    error_message = "advanced_configuration must name the alternate target group, both rules and the infrastructure role."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.infrastructure[0].policy_arn == "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
    error_message = "The infrastructure role gets ECS's managed policy for load balancers."
  }

  assert {
    condition = (
      length(aws_iam_role.hooks) == 1 &&
      aws_ecs_service.traffic_shifting[0].deployment_configuration[0].lifecycle_hook[0].hook_target_arn == "arn:aws:lambda:us-east-1:123456789012:function:shipgate-smoke-check" &&
      aws_ecs_service.traffic_shifting[0].deployment_configuration[0].lifecycle_hook[0].role_arn == aws_iam_role.hooks[0].arn &&
      aws_ecs_service.traffic_shifting[0].deployment_configuration[0].lifecycle_hook[0].lifecycle_stages == ["POST_TEST_TRAFFIC_SHIFT"]
    )
    error_message = "Each lifecycle hook runs with the role ECS may invoke the hook functions with."
  }

  assert {
    condition = output.blue_green == {
      alternate_target_group_arn   = aws_lb_target_group.this["green"].arn
      production_listener_rule_arn = aws_lb_listener_rule.this["production"].arn
      test_listener_rule_arn       = aws_lb_listener_rule.this["test"].arn
      infrastructure_role_arn      = aws_iam_role.infrastructure[0].arn
      test_url                     = "http://alb.example.com:8443/inventory-app"
    }
    error_message = "The blue_green output (the contract's blueGreen) must carry what ECS shifts traffic with and the test URL."
  }
}

run "blue_green_family_needs_a_test_listener" {
  command = plan

  variables {
    strategy = "CANARY"
  }

  expect_failures = [aws_lb_listener_rule.this]
}

run "canary_percent_ecs_refuses" {
  command = plan

  variables {
    strategy       = "CANARY"
    canary_percent = 12.25
  }

  expect_failures = [var.canary_percent]
}

run "linear_step_ecs_refuses" {
  command = plan

  variables {
    strategy            = "LINEAR"
    linear_step_percent = 2
  }

  expect_failures = [var.linear_step_percent]
}

run "hooks_only_for_the_blue_green_family" {
  command = plan

  variables {
    lifecycle_hooks = [{
      hook_target_arn  = "arn:aws:lambda:us-east-1:123456789012:function:shipgate-smoke-check"
      lifecycle_stages = ["POST_TEST_TRAFFIC_SHIFT"]
    }]
  }

  expect_failures = [var.lifecycle_hooks]
}
