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
  target_group_arn                = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-staging-inventory-app-1/0123456789abcdef"
  alarm_names                     = ["shipgate-staging-inventory-app-5xx"]
  environment                     = { DB_HOST = "db.example.internal" }
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
    strategy                   = "CODEDEPLOY"
    alternate_target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-staging-inventory-app-2/0123456789abcdef"
  }

  assert {
    condition     = length(aws_ecs_service.this) == 0 && aws_ecs_service.traffic_shifting[0].deployment_controller[0].type == "CODE_DEPLOY"
    error_message = "CODEDEPLOY uses the CODE_DEPLOY controller on the traffic-shifting variant."
  }

  assert {
    condition     = length(aws_ecs_service.traffic_shifting[0].alarms) == 0 && length(aws_ecs_service.traffic_shifting[0].deployment_circuit_breaker) == 0
    error_message = "CodeDeploy owns rollback: no ECS circuit breaker or alarms on the service."
  }
}

run "traffic_shifting_needs_a_second_target_group" {
  command = plan

  variables {
    strategy = "CANARY"
  }

  expect_failures = [aws_ecs_service.traffic_shifting]
}
