import { connect } from './client';
import { migrateDatabase } from './migrate';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set');
  process.exit(2);
}
const database = connect(url, { max: 1 });
try {
  await migrateDatabase(database);
  console.log('migrations applied');
} finally {
  await database.close();
}
