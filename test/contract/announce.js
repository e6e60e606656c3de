/* Says out loud when the contract suite has nothing to run against, so a skip is never mistaken for a pass. */
module.exports = async () => {
  if (!process.env.ES_URL) {
    process.stdout.write(
      '\n\u26a0  ES_URL is not set: the Elasticsearch contract suite is SKIPPED.\n' +
        '   Run it against a real cluster: docker compose up -d elasticsearch && ES_URL=http://localhost:9200 npm run test:es\n\n',
    );
  } else {
    process.stdout.write(
      `\nElasticsearch contract suite against ${process.env.ES_URL.replace(/\/\/[^@/]*@/, '//')}\n\n`,
    );
  }
};
