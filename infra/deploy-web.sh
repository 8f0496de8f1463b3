#!/usr/bin/env bash
# Puts the admin console and the website's widget on AWS: builds both, writes the
# console's config.json from the stack's outputs (the API, the Hosted UI, the console's
# app client), uploads them to the console bucket (the console's built files cached for a
# year: their names carry their hash; its page and settings not at all; the widget's one
# file five minutes, as its name never changes) and invalidates CloudFront's copy.
#
#   STACK=saypro-messaging-prod bash infra/deploy-web.sh      (make deploy-web)
#
# Needs the AWS CLI with credentials for the stack's account, and Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${STACK:?set STACK to the name of the deployed stack}"

output() {
    aws cloudformation describe-stacks --stack-name "$STACK" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
api=$(output ApiUrl)
bucket=$(output ConsoleBucketName)
distribution=$(output ConsoleDistributionId)
console=$(output ConsoleUrl)
client=$(output ConsoleClientId)
domain=$(output CognitoHostedUiDomain)

(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)
jq -n --arg api "$api" --arg domain "$domain" --arg client "$client" --arg redirect "$console" \
    '{api: $api, sign_in: {kind: "cognito", domain: $domain, client_id: $client, redirect_uri: $redirect}}' \
    > web/dist/console/config.json

aws s3 sync web/dist/console/assets "s3://$bucket/console/assets" --delete \
    --cache-control "public, max-age=31536000, immutable"
aws s3 cp web/dist/console/index.html "s3://$bucket/console/index.html" --cache-control "no-cache"
aws s3 cp web/dist/console/config.json "s3://$bucket/console/config.json" --cache-control "no-store"
aws s3 cp web/dist/widget/saypro-messaging.js "s3://$bucket/widget/saypro-messaging.js" \
    --cache-control "public, max-age=300" --content-type "text/javascript; charset=utf-8"
aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/console/*" "/widget/*" >/dev/null
echo "the console is at $console; the widget at $(output WidgetUrl)"
