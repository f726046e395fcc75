import { writeFileSync } from 'node:fs';
import { requestsPerRound } from './requests.js';
const results = await requestsPerRound();
writeFileSync('/tmp/cost.json', JSON.stringify(results, null, 2));
console.table(results);
