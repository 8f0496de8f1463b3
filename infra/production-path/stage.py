"""Makes a stage of template.yaml in moto server, as far as moto goes without SAM's
transform: the table (keys, indexes, stream, time to live), the queues, the topics, the
buckets, SES's configuration set and its receipt rule set (made active), each from the
Properties the template declares, and the sender's identity verified. Prints the functions' environment as the template
gives it (Globals, then each function's variables; `!Ref` of a parameter is its
default, of a resource the name made here), one KEY='VALUE' per line, for
`cargo lambda watch --env-file`.

    python stage.py --endpoint http://127.0.0.1:5005 --stage path1 > env

Variables that name what moto does not run (the WebSocket API of REALTIME_URL) are
left out, and said on stderr.
"""

import argparse
import re
import sys

import boto3
from cfnlint.decode import decode

REGION = "eu-west-1"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--template", default="template.yaml")
    args = parser.parse_args()
    template, problems = decode(args.template)
    if problems:
        sys.exit(f"{args.template}: {problems}")

    values = {name: p.get("Default", "") for name, p in template["Parameters"].items()}
    values.update({"Stage": args.stage, "AWS::Region": REGION, "AWS::AccountId": "123456789012"})
    aws = {"endpoint_url": args.endpoint, "region_name": REGION,
           "aws_access_key_id": "test", "aws_secret_access_key": "test"}
    resources = template["Resources"]
    makers = {
        "AWS::DynamoDB::Table": make_table,
        "AWS::SQS::Queue": make_queue,
        "AWS::SNS::Topic": make_topic,
        "AWS::S3::Bucket": make_bucket,
        "AWS::SES::ConfigurationSet": make_configuration_set,
        "AWS::SES::ReceiptRuleSet": make_rule_set,
        "AWS::SES::ReceiptRule": make_rule,
    }
    for name, resource in resources.items():
        make = makers.get(resource["Type"])
        if make:
            properties = resolve(resource.get("Properties", {}), values, strict=False)
            values[name] = make(aws, name, properties, values)
    sender = re.sub(r".*<|>.*", "", values["SenderAddress"])
    boto3.client("sesv2", **aws).create_email_identity(EmailIdentity=sender.split("@")[1])

    environment = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in resources.values():
        if resource["Type"] == "AWS::Serverless::Function":
            environment.update(resource["Properties"].get("Environment", {}).get("Variables", {}))
    # The TLS roots the template names are Amazon Linux's: here, this machine's bundle.
    environment["SSL_CERT_FILE"] = "/etc/ssl/certs/ca-certificates.crt"
    for key, value in environment.items():
        try:
            text = resolve(value, values)
            if "'" in text or "\n" in text:
                sys.exit(f"stage.py: {key} cannot be written to an env file: {text!r}")
            print(f"{key}='{text}'")  # quoted: a sender address has spaces
        except KeyError as missing:
            print(f"stage.py: {key} left out: moto has no {missing}", file=sys.stderr)


def resolve(value, values, strict=True):
    """The value with `Ref` and `Fn::Sub` replaced. What is not known (another
    intrinsic, a resource not made here) raises KeyError when `strict`, else is None."""
    try:
        if isinstance(value, dict):
            if set(value) == {"Ref"}:
                return str(values[value["Ref"]])
            if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(values[m.group(1)]), value["Fn::Sub"])
            if any(key.startswith("Fn::") for key in value):
                raise KeyError(next(iter(value)))
            return {key: resolve(inner, values, strict) for key, inner in value.items()}
        if isinstance(value, list):
            return [resolve(inner, values, strict) for inner in value]
        return value
    except KeyError:
        if strict:
            raise
        return None


def make_table(aws, _name, p, _values):
    client = boto3.client("dynamodb", **aws)
    # As declared, but for encryption with the stack's KMS key (moto has no key here).
    client.create_table(
        TableName=p["TableName"], BillingMode=p["BillingMode"],
        AttributeDefinitions=p["AttributeDefinitions"], KeySchema=p["KeySchema"],
        GlobalSecondaryIndexes=p["GlobalSecondaryIndexes"],
        StreamSpecification={"StreamEnabled": True, **p["StreamSpecification"]},
    )
    client.update_time_to_live(TableName=p["TableName"], TimeToLiveSpecification={
        "AttributeName": p["TimeToLiveSpecification"]["AttributeName"], "Enabled": True})
    return p["TableName"]


def make_queue(aws, name, p, values):
    queue = p.get("QueueName", f"{values['AppName']}-{values['Stage']}-{name}")
    boto3.client("sqs", **aws).create_queue(QueueName=queue)
    return queue


def make_topic(aws, name, p, values):
    topic = p.get("TopicName", f"{values['AppName']}-{values['Stage']}-{name}")
    return boto3.client("sns", **aws).create_topic(Name=topic)["TopicArn"]


def make_bucket(aws, name, p, values):
    bucket = p.get("BucketName", f"{values['AppName']}-{values['Stage']}-{name}".lower())
    boto3.client("s3", **aws).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return bucket


def make_configuration_set(aws, _name, p, _values):
    boto3.client("sesv2", **aws).create_configuration_set(ConfigurationSetName=p["Name"])
    return p["Name"]


def make_rule_set(aws, _name, p, _values):
    boto3.client("ses", **aws).create_receipt_rule_set(RuleSetName=p["RuleSetName"])
    return p["RuleSetName"]


def make_rule(aws, _name, p, _values):
    """The receipt rule as declared, in the active rule set, but for its Lambda action:
    moto accepts one only for a function in its own Lambda service, which runs nothing
    here and, once used, breaks moto's data.json (it asks for Docker). The harness does
    that action itself: it invokes the real binary, as SES would."""
    rule = p["Rule"]
    rule["Actions"] = [action for action in rule["Actions"] if "LambdaAction" not in action]
    ses = boto3.client("ses", **aws)
    ses.create_receipt_rule(RuleSetName=p["RuleSetName"], Rule=rule)
    ses.set_active_receipt_rule_set(RuleSetName=p["RuleSetName"])
    return rule["Name"]


if __name__ == "__main__":
    main()
