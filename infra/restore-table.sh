#!/usr/bin/env bash
# Restores a stack's table as it was at a time into a new table, checks the copy, and
# says how to make it the stack's table.
#
#   STACK=saypro-messaging-prod AT=2026-12-01T08:30:00+02:00 bash infra/restore-table.sh
#   (AT absent: the latest restorable time, about five minutes ago)
#
# Needs the AWS CLI (for the stack's outputs) and credentials for the stack's account and
# region; the restore and the check are `local restore-table` (aws-sdk-dynamodb), the same
# code the tests run against moto.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${STACK:?set STACK to the name of the deployed stack}"

source_table=$(aws cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='TableName'].OutputValue" --output text)
target="${source_table}-restored-$(date -u +%Y%m%d%H%M)"
echo "restoring $source_table as of ${AT:-the latest restorable time} into $target"
cargo run -q --release -p local -- restore-table --from "$source_table" --to "$target" ${AT:+--at "$AT"}

cat <<STEPS

$target holds the table as it was, checked: items per kind above, and a sample of
conversations read back with their messages. Compare the kinds with the live table:

  cargo run -q --release -p local -- check-table --table $source_table

To take back only what was lost, copy those items from $target. To make the copy the
stack's table (the stack names its table $source_table and keeps it on delete):

  1. Stop writes: set the HTTP API's throttling to 0 (aws apigatewayv2 update-stage) or
     take the site's messaging offline.
  2. Keep what is there now: aws dynamodb create-backup --table-name $source_table --backup-name before-restore
  3. Back up the checked copy: aws dynamodb create-backup --table-name $target --backup-name checked
  4. aws dynamodb delete-table --table-name $source_table
     aws dynamodb wait table-not-exists --table-name $source_table
     aws dynamodb restore-table-from-backup --target-table-name $source_table --backup-arn <the ARN step 3 printed>
     aws dynamodb wait table-exists --table-name $source_table
     cargo run -q --release -p local -- check-table --table $source_table
  5. A restore carries no stream, TTL or point-in-time recovery: turn them back on:
     aws dynamodb update-table --table-name $source_table --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES
     aws dynamodb update-time-to-live --table-name $source_table --time-to-live-specification Enabled=true,AttributeName=expires_at
     aws dynamodb update-continuous-backups --table-name $source_table --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true
  6. The stream is new: redeploy (sam deploy) so notify's and broadcast's event source
     mappings read it, then lift the throttling. Delete $target when done.
STEPS
