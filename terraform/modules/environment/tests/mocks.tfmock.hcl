# Stand-ins for what AWS computes, so `terraform test` can plan and "apply" the
# environment without an AWS account (mock_provider in the test files).

mock_data "aws_availability_zones" {
  defaults = {
    names = ["us-east-1a", "us-east-1b", "us-east-1c"]
  }
}

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

mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shipgate-test/0123456789abcdef"
    dns_name   = "shipgate-test-1234567890.us-east-1.elb.amazonaws.com"
    arn_suffix = "app/shipgate-test/0123456789abcdef"
    zone_id    = "Z35SXDOTRQ7X7K"
  }
}

mock_resource "aws_db_instance" {
  defaults = {
    address = "db.example.internal"
    port    = 5432
    master_user_secret = [{
      secret_arn    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf"
      secret_status = "active"
      kms_key_id    = ""
    }]
  }
}

mock_resource "aws_mq_broker" {
  defaults = {
    instances = [{
      console_url = "https://b-0123.mq.us-east-1.amazonaws.com"
      ip_address  = "10.0.10.10"
      endpoints   = ["amqps://b-0123.mq.us-east-1.amazonaws.com:5671"]
    }]
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shipgate/rabbitmq-AbCdEf"
  }
}

# Provider-side validation wants well-formed ARNs wherever one resource refers to another.

mock_resource "aws_lb_listener" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shipgate-test/0123456789abcdef/0123456789abcdef"
  }
}

mock_resource "aws_lb_listener_rule" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shipgate-test/0123456789abcdef/0123456789abcdef/0123456789abcdef"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-test/0123456789abcdef"
    arn_suffix = "targetgroup/shipgate-test/0123456789abcdef"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/shipgate-test"
  }
}

mock_resource "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:shipgate-test"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:us-east-1:123456789012:cluster/shipgate-test"
    id  = "arn:aws:ecs:us-east-1:123456789012:cluster/shipgate-test"
  }
}

mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/shipgate-test:1"
  }
}

mock_resource "aws_ecs_service" {
  defaults = {
    id = "arn:aws:ecs:us-east-1:123456789012:service/shipgate-test/service"
  }
}

mock_resource "aws_ssm_parameter" {
  defaults = {
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/shipgate/test"
  }
}

mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = {
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shipgate-test"
  }
}

mock_resource "aws_codedeploy_app" {
  defaults = {
    arn = "arn:aws:codedeploy:us-east-1:123456789012:application:shipgate-test"
  }
}

mock_resource "aws_autoscaling_group" {
  defaults = {
    arn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0123:autoScalingGroupName/shipgate-test"
  }
}

mock_resource "aws_iam_instance_profile" {
  defaults = {
    arn = "arn:aws:iam::123456789012:instance-profile/shipgate-test"
  }
}

mock_data "aws_ssm_parameter" {
  defaults = {
    value = "ami-0123456789abcdef0"
  }
}

mock_resource "aws_launch_template" {
  defaults = {
    id = "lt-0123456789abcdef0"
  }
}

mock_resource "aws_ecs_capacity_provider" {
  defaults = {
    arn = "arn:aws:ecs:us-east-1:123456789012:capacity-provider/shipgate-test-ec2"
  }
}
